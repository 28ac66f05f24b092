"""Developer tools: simulators of citizens' devices for the local gateway."""
