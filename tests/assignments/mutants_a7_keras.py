"""Wrong and alternative correct implementations of a7_keras's graded parts (see harness.py)."""

MUTANTS = {
    "build_model": [
        ("softmax output layer (the softmax is applied again by from_logits=True)",
         ("keras.layers.Dense(sizes[-1])", "keras.layers.Dense(sizes[-1], activation=\"softmax\")")),
        ("the spec's activations ignored: always ReLU",
         ("keras.layers.Dense(n_out, activation=activation)", "keras.layers.Dense(n_out, activation=\"relu\")")),
        ("the last hidden activation also on the output layer",
         ("keras.layers.Dense(sizes[-1])", "keras.layers.Dense(sizes[-1], activation=activations[-1])")),
        ("the activations shifted by one layer", ("zip(sizes[1:-1], activations)", "zip(sizes[1:-1], activations[1:] + activations[:1])")),
        ("no bias in the layers", ("keras.layers.Dense(n_out, activation=activation)", "keras.layers.Dense(n_out, activation=activation, use_bias=False)")),
        ("one hidden layer too many (sizes[1:] as hidden widths)", ("zip(sizes[1:-1], activations)", "zip(sizes[1:], activations + activations[-1:])")),
        ("the widths in reverse order", ("zip(sizes[1:-1], activations)", "zip(sizes[-2:0:-1], activations)")),
        ("relu output layer", ("keras.layers.Dense(sizes[-1])", "keras.layers.Dense(sizes[-1], activation=\"relu\")")),
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
        ("returns loss.numpy() (a NumPy float32 for a float32 model, not a Python float)", ("return float(loss)", "return loss.numpy()")),
        ("a new optimizer made inside (the given one, with its momentum, ignored)",
         ("    grads = tape.gradient(loss, model.trainable_variables)\n    optimizer.apply_gradients(",
          "    grads = tape.gradient(loss, model.trainable_variables)\n    optimizer = keras.optimizers.SGD(learning_rate=float(optimizer.learning_rate))\n    optimizer.apply_gradients(")),
        ("gradient ascent: the gradients negated", ("optimizer.apply_gradients(zip(grads, model.trainable_variables))",
                                                    "optimizer.apply_gradients(zip([-g for g in grads], model.trainable_variables))")),
        ("the loss summed over the batch", ("loss = loss_fn(y, out)", "loss = loss_fn(y, out) * len(x)")),
        ("two updates per step", ("optimizer.apply_gradients(zip(grads, model.trainable_variables))",
                                  "optimizer.apply_gradients(zip(grads, model.trainable_variables))\n    optimizer.apply_gradients(zip(grads, model.trainable_variables))")),
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

VISIBLE = {
    'build_model': {
        'softmax output layer (the softmax is applied again by from_logits=True)': 'no activation',
        "the spec's activations ignored: always ReLU": 'relu then sigmoid, linear output',
        'the last hidden activation also on the output layer': 'relu then sigmoid, linear output',
        'the activations shifted by one layer': 'relu then sigmoid, linear output',
        'no bias in the layers': 'expected 26 parameters',
        'one hidden layer too many (sizes[1:] as hidden widths)': 'need 2 Dense layers',
        'the widths in reverse order': 'in this order',
        'relu output layer': 'relu then sigmoid, linear output',
    },
    'train_step': {
        'softmax applied to the logits before a from_logits=True loss': 'no softmax in',
        'returns the loss after the update': 'the loss after the update',
        'only the first layer trained (enough for the one-layer model of the visible test)': 'every trainable variable',
        "PyTorch's argument order loss_fn(predictions, targets) (symmetric for MSE only)": 'loss_fn was called',
        'returns loss.numpy() (a NumPy float32 for a float32 model, not a Python float)': 'Python float',
        'a new optimizer made inside (the given one, with its momentum, ignored)': 'every trainable variable',
        'gradient ascent: the gradients negated': 'wrong sign',
        'the loss summed over the batch': 'times too',
        'two updates per step': 'times too',
    },
}

NOT_VISIBLE = {}
