"""Task factories: what a button (or the CLI) starts. Each builds a function for a
``core.jobs.Job`` that trains through the domain packages and saves the result into the runs
store with one shared :class:`~core.tasks.autosave.AutoSave`. Nothing below imports this package."""
