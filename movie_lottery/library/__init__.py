"""The group's memory: kept movies, their filters, viewings and notes, ratings, history of nights."""
