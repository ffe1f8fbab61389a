"""The gateway's routes, one module per audience or area; `service.py` joins them."""
