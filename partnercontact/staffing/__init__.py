"""Who holds what: the record of a manager moving a client or a partner case to another
treater, and why. Each side moves its own records (client_side, partner_side); this package
knows neither."""
