package org.acodm.data;

/** One document of a corpus file: its text, its domain name, and the 1-based line it came from. */
public record PileDocument(String text, String domain, long line) {}
