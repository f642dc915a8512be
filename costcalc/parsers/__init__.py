"""Frontends: each turns a model into a ``costcalc.ir.Graph``."""
