"""Pure domain logic: no network, database, files, environment or wall clock."""
