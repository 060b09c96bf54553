"""support-desk: a GraphQL support-ticket service."""
