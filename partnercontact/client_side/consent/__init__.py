"""The client's consent to partner contact: its forms, its lifecycle and the register."""
