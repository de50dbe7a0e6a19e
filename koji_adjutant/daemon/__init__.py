"""The kojid drop-in daemon: command line, login, task manager and main loop."""
