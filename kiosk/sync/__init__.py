"""Background sync: bounded HTTP downloads, the atomic cache and the worker thread.

Nothing in this package imports Kivy. The worker hands its results to a
callback, and the UI decides how to bring them onto its own thread.
"""
