"""Knowledge graph of the register of civil-servant positions (Order No. 1042)."""
