"""Shared text tools, one of each: sentences, words, citation markers and dates.

Cleaning, chunking, answering, the fake model and scoring all use these, so that what the index, the
answer checks and the evaluation call "a sentence" or "a word" is the same thing everywhere.
"""
