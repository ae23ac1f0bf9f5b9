// Container entry point: `frontend`, `backend` or `admin` (the admin API and WebAdmin). A backend on Fargate must advertise its own
// task address in the backend registry; when STRATO_BACKEND_ADDRESS is unset it is derived from
// the ECS task metadata endpoint (awsvpc: the task's private IPv4) and STRATO_LMTP_PORT.
const role = process.argv[2];
if (role !== 'frontend' && role !== 'backend' && role !== 'admin') {
  console.error(`usage: entrypoint.mjs frontend|backend|admin (got ${role})`);
  process.exit(2);
}
if (role === 'backend' && !process.env.STRATO_BACKEND_ADDRESS && process.env.ECS_CONTAINER_METADATA_URI_V4) {
  const res = await fetch(`${process.env.ECS_CONTAINER_METADATA_URI_V4}/task`);
  const task = await res.json();
  const ip = task?.Containers?.[0]?.Networks?.[0]?.IPv4Addresses?.[0];
  if (!ip) {
    console.error('cannot find the task IPv4 address in the ECS task metadata');
    process.exit(3);
  }
  process.env.STRATO_BACKEND_ADDRESS = `${ip}:${process.env.STRATO_LMTP_PORT ?? '2424'}`;
}
await import(`./${role}.mjs`);
