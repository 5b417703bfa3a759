-- Missions, their task DAG and every attempt, plus the transactional outbox the relay publishes.

create table mission (
    id                 varchar(64)  primary key,
    title              varchar(500) not null,
    status             varchar(16)  not null,
    spec               text         not null,  -- the MissionSubmitted as accepted (JSON)
    integration_branch varchar(200) not null,
    status_reason      text,
    merged_commit      varchar(64),
    input_tokens       bigint       not null default 0,
    output_tokens      bigint       not null default 0,
    cost_usd           double precision not null default 0,
    created_at         timestamptz  not null,
    updated_at         timestamptz  not null
);
create index mission_status_idx on mission (status, created_at);

create sequence task_seq increment by 50;
create table task (
    id                bigint       primary key,
    mission_id        varchar(64)  not null references mission (id),
    task_id           varchar(64)  not null,
    position          int          not null,
    kind              varchar(8)   not null,
    title             varchar(500) not null,
    prompt            text         not null,
    files             text,          -- JSON array
    status            varchar(16)  not null,
    pending_deps      int          not null,
    attempt           int          not null default 0,
    feedback          text,
    summary           text,
    merged_commit     varchar(64),
    worker_id         varchar(200),
    opencode_url      varchar(500),
    opencode_session  varchar(200),
    input_tokens      bigint       not null default 0,
    output_tokens     bigint       not null default 0,
    cost_usd          double precision not null default 0,
    dispatched_at     timestamptz,
    started_at        timestamptz,
    last_heartbeat_at timestamptz,
    finished_at       timestamptz,
    unique (mission_id, task_id)
);
create index task_ready_idx on task (mission_id, status, pending_deps, position);
create index task_lease_idx on task (status, last_heartbeat_at);

create sequence task_edge_seq increment by 50;
create table task_edge (
    id          bigint      primary key,
    mission_id  varchar(64) not null,
    task_id     varchar(64) not null,
    depends_on  varchar(64) not null,
    unique (mission_id, task_id, depends_on)
);
create index task_edge_dependents_idx on task_edge (mission_id, depends_on);

create sequence task_attempt_seq increment by 50;
create table task_attempt (
    id                bigint      primary key,
    mission_id        varchar(64) not null,
    task_id           varchar(64) not null,
    attempt           int         not null,
    status            varchar(16) not null,
    verdict           varchar(16),
    feedback          text,
    branch            varchar(300),
    commit_sha        varchar(64),
    merged_commit     varchar(64),
    summary           text,
    changed_files     text,         -- JSON array
    checks            text,         -- JSON array of CheckRun
    worker_id         varchar(200),
    opencode_session  varchar(200),
    input_tokens      bigint      not null default 0,
    output_tokens     bigint      not null default 0,
    cost_usd          double precision not null default 0,
    duration_ms       bigint,
    dispatched_at     timestamptz not null,
    finished_at       timestamptz,
    unique (mission_id, task_id, attempt)
);

create table outbox (
    id          bigserial    primary key,
    topic       varchar(200) not null,
    message_key varchar(200),
    payload     text         not null,
    created_at  timestamptz  not null default now()
);
