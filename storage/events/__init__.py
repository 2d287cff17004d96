"""Events and courses: the tables (`tables`), seats and the line (`seats`), reading them
(`listing`), the seed sync (`seed`) and attendance (`attendance`)."""
