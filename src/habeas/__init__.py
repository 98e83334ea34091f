"""Habeas: custody management for detention facilities."""
__version__ = "0.1.0"
