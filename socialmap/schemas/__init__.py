"""marshmallow schemas: <Noun>Schema, <Noun>CreateSchema, <Noun>SearchArgsSchema."""
