"""Pure rules of numberdesk: value objects, entities and decisions. No I/O, no framework."""
