"""Starting from data: a real coalition's roster, its network survey and its collaboration factors (docs/DATA.md).

The modules, each with one job:

- :mod:`sim.inputdata.table`: reading a CSV file into checked columns, with one-line errors naming file, row and column;
- :mod:`sim.inputdata.codebook`: what a scenario's ``[data]`` table (or a data folder's ``data.toml``) names, and how
  the survey's answers are coded (its levels, its trust items and their scale);
- :mod:`sim.inputdata.roster`: the organizations roster (and the table mapping the user's own categories to sectors);
- :mod:`sim.inputdata.survey`: the relationships table, one row per respondent and partner;
- :mod:`sim.inputdata.factors`: the collaboration-factors score sheet and the parameters it sets;
- :mod:`sim.inputdata.load`: everything a data set names, read and checked once (:class:`~sim.inputdata.load.StartingData`);
- :mod:`sim.inputdata.start`: a partnership's month 0 from the data, gaps filled by stated rules;
- :mod:`sim.inputdata.region`: a region's organizations and who knows whom from the data;
- :mod:`sim.inputdata.continuation`: the extra file of an export (everything else the state holds) and reading it back;
- :mod:`sim.inputdata.export`: writing a run's state at a month to the same files.

This package sets starting state only; the model's rules never read it.
"""
