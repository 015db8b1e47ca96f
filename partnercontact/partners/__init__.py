"""The partner's side. The client side may write into it (the hand-over) but never read it."""
