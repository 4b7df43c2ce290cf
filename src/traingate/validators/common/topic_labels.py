"""The default labels of the features `topic` and `task_type`, each with the phrases that describe it,
and the similarity under which a row is `other`. A contract may give its own (`labels:` on the check)."""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "finance": ("money, banking, loans, interest rates and investing", "economics, markets, prices, inflation and trade",
                "business, companies, management, marketing and accounting", "taxes, budgets, stocks and insurance"),
    "health": ("health, medicine, doctors, hospitals and patients", "diseases, symptoms, diagnosis and treatment",
               "the human body, anatomy, nutrition and exercise", "drugs, therapy, mental health and genetics"),
    "law": ("law, courts, judges, lawyers and trials", "contracts, crimes, rights, legal liability and statutes",
            "legislation, regulation, evidence and constitutional law"),
    "science": ("physics, chemistry, biology and astronomy", "experiments, atoms, molecules, cells and energy",
                "engineering, electricity, forces and the natural world"),
    "math": ("mathematics, equations, algebra and geometry", "numbers, calculations, probability and statistics",
             "proofs, functions, integrals and arithmetic"),
    "computing": ("programming, code, software and algorithms", "computers, networks, databases and security",
                  "machine learning, data structures and programming languages"),
    "society": ("history, wars, empires, centuries and historical events", "politics, government, elections, "
                "nations and foreign policy", "society, culture, sociology, geography and religion",
                "philosophy, ethics and morality"),
    "arts": ("art, music, painting and literature", "movies, television, games and entertainment",
             "books, poems, stories and celebrities"),
    "everyday": ("everyday life, home, family and friends", "cooking, food, recipes, travel and shopping",
                 "hobbies, sports, pets, relationships and personal advice"),
}

TASK_TYPES: dict[str, tuple[str, ...]] = {
    "question_answering": ("What is the capital of Australia?", "Who wrote this novel and when was it published?",
                           "Why is the sky blue? Explain.", "How does a vaccine work?",
                           "Which of the following is true? Answer the question."),
    "classification": ("Classify the sentiment of this review as positive or negative.",
                       "Which category does this text belong to? Label it.",
                       "Is this email spam or not spam?", "Decide whether the statement is true or false.",
                       "Identify the type of the sentence: question, statement or command."),
    "summarisation": ("Summarize the following article in a few sentences.", "Write a short summary of this text.",
                      "Give the main points of the passage in brief.", "TL;DR of this report."),
    "rewriting": ("Rewrite this sentence to make it more formal.", "Paraphrase the paragraph in simpler words.",
                  "Fix the grammar and spelling mistakes in this text.", "Translate this sentence into French.",
                  "Edit the text to improve its wording and make it concise."),
    "extraction": ("Extract all the names and dates mentioned in the text.",
                   "List the entities, places and organisations in the passage.",
                   "Pull out the key values from this document as JSON.",
                   "Find the phone numbers and email addresses in the text."),
    "creative_writing": ("Write a short story about a dragon.", "Compose a poem about the sea.",
                         "Write a blog post about your trip.", "Draft an email to your manager.",
                         "Write song lyrics, an essay or a speech."),
    "brainstorming": ("Brainstorm ideas for a birthday party.", "Give me ten suggestions for a project name.",
                      "List some ways to save money.", "Come up with creative ideas for a marketing campaign."),
    "code": ("Write a Python function that reverses a list.", "Implement a class in Java for a bank account.",
             "Fix the bug in this JavaScript code.", "Write a SQL query to select all users.",
             "def function(args): return a program, script or algorithm"),
    "math_reasoning": ("Solve for x: 3x + 5 = 20.", "Calculate how many apples are left after she gives away 12.",
                       "Compute the result of the expression step by step.", "What is 17 * 23 + 4 - 9?",
                       "Count the objects, track their positions and work out which one ends where.",
                       "If A is taller than B and B is taller than C, who is the shortest? Deduce the answer.",
                       "A logic puzzle: work out the order of the objects."),
    "roleplay": ("Pretend you are a pirate captain and talk to your crew.", "Imagine you are a detective at a crime scene.",
                 "Act as a customer service agent and respond in character.",
                 "You are a medieval knight; describe your day in role."),
    "conversation": ("Hi, how are you today?", "What do you think about this? Give me your opinion.",
                     "Can you give me some advice on dealing with stress?", "Tell me about yourself."),
}

DEFAULT_LABELS: dict[str, dict[str, tuple[str, ...]]] = {"topic": TOPICS, "task_type": TASK_TYPES}

# Cosine similarity (centred, see topics.nearest) to the nearest label under which a row is `other`, for the
# default model: under the 1st percentile of the labelled rows of benchmarks/topic_accuracy.py (0.07).
MIN_SIMILARITY: dict[str, float] = {"topic": 0.05, "task_type": 0.05}
