"""Wrong and alternative correct implementations of a7_keras's graded parts (see harness.py)."""

MUTANTS = {
    "build_model": [
        ("softmax output layer (the softmax is applied again by from_logits=True)",
         ("keras.layers.Dense(sizes[-1])", "keras.layers.Dense(sizes[-1], activation=\"softmax\")")),
        ("the spec's activations ignored: always ReLU",
         ("keras.layers.Dense(n_out, activation=activation)", "keras.layers.Dense(n_out, activation=\"relu\")")),
        ("the last hidden activation also on the output layer",
         ("keras.layers.Dense(sizes[-1])", "keras.layers.Dense(sizes[-1], activation=activations[-1])")),
    ],
    "train_step": [
        ("softmax applied to the logits before a from_logits=True loss",
         ("loss = loss_fn(y, out)", "loss = loss_fn(y, keras.ops.softmax(out))")),
        ("returns the loss after the update", ("return float(loss)",
                                               "return float(loss_fn(y, model(x, training=False)))")),
        ("only the first layer trained (enough for the one-layer model of the visible test)",
         ("grads = tape.gradient(loss, model.trainable_variables)", "grads = tape.gradient(loss, model.trainable_variables[:2])")),
        ("PyTorch's argument order loss_fn(predictions, targets) (symmetric for MSE only)",
         ("loss = loss_fn(y, out)", "loss = loss_fn(out, y)")),
    ],
}

CORRECT = {
    "build_model": [
        "def build_model(spec):\n"
        "    inputs = keras.Input(shape=(spec['sizes'][0],))\n"
        "    h = inputs\n"
        "    for width, act in zip(spec['sizes'][1:-1], spec['activations']):\n"
        "        h = keras.layers.Dense(width)(h)\n"
        "        h = keras.layers.Activation(act)(h)\n"
        "    outputs = keras.layers.Dense(spec['sizes'][-1], activation='linear')(h)\n"
        "    return keras.Model(inputs, outputs)",
        "def build_model(spec):\n"
        "    n = spec['sizes']\n"
        "    layers = [keras.layers.Dense(n[i + 1], activation=spec['activations'][i]) for i in range(len(n) - 2)]\n"
        "    model = keras.Sequential(layers + [keras.layers.Dense(n[-1], activation=None)])\n"
        "    model.build((None, n[0]))\n"
        "    return model",
    ],
    "train_step": [
        "def train_step(model, optimizer, loss_fn, x, y):\n"
        "    x = tf.convert_to_tensor(x)\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = loss_fn(y, model(x, training=True))\n"
        "    grads = tape.gradient(loss, model.trainable_variables)\n"
        "    optimizer.apply(grads, model.trainable_variables)\n"
        "    return loss.numpy().item()",
        "def train_step(model, optimizer, loss_fn, x, y):\n"
        "    variables = model.trainable_weights\n"
        "    with tf.GradientTape() as tape:\n"
        "        predictions = model(x)\n"
        "        value = loss_fn(y_true=y, y_pred=predictions)\n"
        "    optimizer.apply_gradients(list(zip(tape.gradient(value, variables), variables)))\n"
        "    return float(keras.ops.convert_to_numpy(value))",
    ],
}

# VISIBLE: {grade_id: {mutant description (in MUTANTS): a phrase its *visible* test failure must contain}}.
# tests/test_assignments.py::test_visible_tests_name_the_mistake runs the visible tests alone (no nbgrader):
# each of these mistakes fails them with a message that names its cause, and every correct version passes.
VISIBLE = {
    "train_step": {"PyTorch's argument order loss_fn(predictions, targets) (symmetric for MSE only)":
                   "Keras losses take the targets first"},
}
