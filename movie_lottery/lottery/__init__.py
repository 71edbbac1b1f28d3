"""Lotteries: candidates, the verifiable draw, the winner."""
