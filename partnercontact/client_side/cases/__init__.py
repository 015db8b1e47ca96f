"""The client's side: clients and their treatment episodes."""
