-- Every lifecycle event of a mission, in order: replayed by GET /api/v1/missions/{id}/events before live ones.
create table mission_event (
    seq         bigserial    primary key,
    mission_id  varchar(64)  not null,
    event       varchar(32)  not null,
    task_id     varchar(64),
    attempt     int,
    at          timestamptz  not null,
    detail      text
);
create index mission_event_mission_idx on mission_event (mission_id, seq);

-- Guidance a person gave on resume; it goes into the next attempt's prompt.
alter table mission add column guidance text;
