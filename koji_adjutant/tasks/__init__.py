"""Task handlers: one module per koji task method, registered in ``registry``."""
