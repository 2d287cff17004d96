"""Questions answered from the knowledge base (`questions`), browsing its topics (`browse`),
and the staff's side: replies to handed-off questions and reloading (`staff`)."""
