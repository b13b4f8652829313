"""HTTP adapters: request bodies, authentication, error answers and the routes."""
