"""The relay: the only channel between the client side and the partner side.

It carries a closed set of events (kind, date, who recorded it) and nothing else. Events are
created only by the client side's services, as a consequence of a change they make; the
partner side reads them and records what it did with each, which never travels back.
"""
