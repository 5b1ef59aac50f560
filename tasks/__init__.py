"""Tasks: data sets, their networks and metrics, the programs they train, and a ``run(config)``
each (:class:`nesy.task.Task`), one folder per task, outside the engine (``nesy/``) and the
backends (``solvers/``). Each is registered under the ``nesy.tasks`` entry point group in
pyproject.toml; ``docs/adding-a-task.md`` shows how to add one."""
