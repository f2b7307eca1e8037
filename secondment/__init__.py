"""双岗 · Two-Way Secondment Manager: the core (no Streamlit here except ``ui.py``)."""

__version__ = "0.1.0"
