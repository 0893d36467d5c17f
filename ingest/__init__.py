"""Reading, cleaning, sectioning, chunking, segmenting and embedding Chinese articles."""
