-- How many tasks each task depends on and how many depend on it: a task without either costs no edge query.
alter table task add column dependency_count int not null default 0;
alter table task add column dependent_count  int not null default 0;

update task t set
    dependency_count = (select count(*) from task_edge e where e.mission_id = t.mission_id and e.task_id = t.task_id),
    dependent_count  = (select count(*) from task_edge e where e.mission_id = t.mission_id and e.depends_on = t.task_id);
