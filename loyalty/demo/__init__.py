"""The demo shop's 90 days of life (docs/demo.md): `story` plans them,
`fleet` runs a temporary set of services on a clock the seeder moves,
`seeder` plays the story through their real routes."""
