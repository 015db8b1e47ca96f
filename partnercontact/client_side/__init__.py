"""The client side: clients, treatment episodes and the client's consent. It never
imports the partner side; what crosses to it goes through the relay."""
