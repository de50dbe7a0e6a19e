"""Buildroots in containers: one container per buildroot task, faithful to kojid's mock roots."""
