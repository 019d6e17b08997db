"""Places: offline gazetteer, place extraction and confirmed places (issue 11)."""
