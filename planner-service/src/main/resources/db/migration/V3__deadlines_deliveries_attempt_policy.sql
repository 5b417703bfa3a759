-- Self-healing: every waiting state has a deadline the planner re-drives, every published message it waits on is
-- tracked to its place on the broker, and attempts are counted apart from fencing epochs.

-- attempt stays the fencing epoch; charged_attempts counts the agent's own failures (limits.maxAttempts);
-- redispatches counts the fleet's (a lost message, a dead worker, a failed workspace), bounded separately.
alter table task add column charged_attempts int not null default 0;
alter table task add column redispatches int not null default 0;
-- When the planner must look at the task again: the assignment or review it waits on, or the end of a backoff.
alter table task add column deadline_at timestamptz;
alter table task add column not_before timestamptz;
create index task_deadline_idx on task (deadline_at) where deadline_at is not null;
create index task_mission_status_idx on task (mission_id, status);

-- The mission's final check (a SEAL review request) has its own epoch and deadline.
alter table mission add column seal_attempt int not null default 0;
alter table mission add column seal_deadline_at timestamptz;
alter table mission add column seal_errors int not null default 0;
create index mission_seal_deadline_idx on mission (seal_deadline_at) where seal_deadline_at is not null;

alter table task_attempt add column plan text;              -- a planning task's plan (JSON), until reviewed
alter table task_attempt add column error_kind varchar(32);
alter table task_attempt add column error text;
alter table task_attempt add column result_at timestamptz;  -- the first result of this attempt (usage counted once)

-- Where the relay published a tracked message (an assignment, a review request): the planner compares it with the
-- consumer group's committed offset to tell a message that waits for a free worker from one that was lost.
create table delivery (
    tracks       varchar(200) primary key,
    mission_id   varchar(64)  not null,
    topic        varchar(200) not null,
    partition_no int          not null,
    offset_no    bigint       not null,
    sent_at      timestamptz  not null
);
create index delivery_mission_idx on delivery (mission_id);

alter table outbox add column tracks varchar(200);
-- A row the broker refused for good (too large, say) is parked with the reason instead of blocking the relay.
alter table outbox add column parked_at timestamptz;
alter table outbox add column parked_reason text;
create index outbox_tracks_idx on outbox (tracks) where tracks is not null;
create index outbox_pending_idx on outbox (id) where parked_at is null;
