"""The task queue: scheduled work as rows of our own, claimed with FOR UPDATE SKIP
LOCKED and run exactly once. It knows no kind of task; the domain registers them."""
