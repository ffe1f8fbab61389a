"""The operator's side of the system: the `loyalty` command line and the
`make run` launcher. It may import every service; `shared/` never does."""
