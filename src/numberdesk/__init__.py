"""numberdesk: the phone-number desk of a contact centre or sales CRM."""

__version__ = "0.1.0"
