"""Frames in and out: cells to profiles, answers to columns, files to chunks, safe exports."""
