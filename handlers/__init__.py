"""Platform-neutral conversation handlers: IncomingMessage in, Reply out."""
