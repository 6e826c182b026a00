"""Packaged data: the MOR crystallographic facts."""
