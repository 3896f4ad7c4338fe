"""CX Hub: one shared customer-experience scorecard for the CMO and the CIO."""

__version__ = "0.1.0"
