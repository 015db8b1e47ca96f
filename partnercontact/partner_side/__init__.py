"""The partner side. The client side may write into it (the hand-over, through the relay)
but never read it, and it never imports the client side."""
