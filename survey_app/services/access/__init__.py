"""Who may do what (capabilities) and which units they may do it for (scope)."""
