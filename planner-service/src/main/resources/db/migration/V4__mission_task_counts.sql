-- A mission keeps the counts of its tasks (all, not DONE, in flight) so moving it on never counts task rows.
alter table mission add column task_count      int not null default 0;
alter table mission add column remaining_tasks int not null default 0;
alter table mission add column in_flight_tasks int not null default 0;

update mission m set
    task_count      = (select count(*) from task t where t.mission_id = m.id),
    remaining_tasks = (select count(*) from task t where t.mission_id = m.id and t.status <> 'DONE'),
    in_flight_tasks = (select count(*) from task t where t.mission_id = m.id and t.status in ('QUEUED', 'RUNNING', 'REVIEWING'));
