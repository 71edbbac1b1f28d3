"""Polls: creating, ballots, closing, and the pure counting of votes."""
