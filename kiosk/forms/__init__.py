"""Forms by audience: `public` (the visitor), `sign_in`, `records` (breaches, deletion requests,
triage) and `desk` (the head's settings), over the shared fields in `fields`."""
