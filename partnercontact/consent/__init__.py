"""The client's consent to partner contact: its forms and, later, its lifecycle."""
