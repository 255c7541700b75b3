"""One router per audience or resource."""
